# syntax=docker/dockerfile:1
# Interlock image: one image, the process is chosen by the command (api | worker | migrate).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Same fallback as scripts/bootstrap.sh: a lockfile made against a registry mirror that serves only
# linux-x64 optional packages is refused by `npm ci`; `npm install` keeps the locked versions.
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY integrations ./integrations
# Compiles to dist/ and pre-bundles the workflow code so workers start fast.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && node dist/src/worker/workflow-bundle.js \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# Two glibc malloc arenas, not 8 per core: the Temporal core's and libuv's threads otherwise each
# keep an arena of freed memory resident (docs/operations.md#worker-and-api-memory). The V8 heap
# caps differ per process: NODE_OPTIONS is set by docker-compose.yml and the Helm chart.
ENV MALLOC_ARENA_MAX=2
# jemalloc instead of glibc's malloc: V8's compiler threads allocate and free tens of MB in the
# first minutes of traffic, which glibc keeps resident and jemalloc gives back (measured with
# 1,000 parked incidents: API 181 MB instead of 232, worker 359 instead of 397; same document).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The console's CSS and scripts are served as written (src/api/console/assets.ts looks next to its module).
COPY --from=build /app/src/api/console/assets ./dist/src/api/console/assets
COPY playbooks ./playbooks
COPY config ./config
# The operator command on the PATH: `docker compose exec api interlock incidents list` (docs/cli.md).
COPY bin ./bin
RUN ln -s /app/bin/interlock.js /usr/local/bin/interlock
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["api"]
