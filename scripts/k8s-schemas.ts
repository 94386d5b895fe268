/**
 * Writes the JSON schemas kubeconform validates the Helm chart against, offline: one file per
 * kind and version, named as kubeconform looks them up (`{{ .ResourceKind }}{{ .KindSuffix }}.json`,
 * e.g. deployment-apps-v1.json, servicemonitor-monitoring-v1.json), made from
 *  - the Kubernetes OpenAPI v2 document (`--openapi`, api/openapi-spec/swagger.json of the
 *    k8s.io/kubernetes Go module): every definition with an x-kubernetes-group-version-kind;
 *  - CustomResourceDefinition manifests (`--crd`, repeatable): each served version's schema.
 *
 * Each schema is self-contained (the definitions it reaches are copied under `definitions`)
 * and strict like kubeconform's -strict schemas (yannh/kubernetes-json-schema's
 * `-standalone-strict`): an object with declared properties accepts no other key, so a
 * misspelt or misplaced field fails. int-or-string and Quantity accept both forms, as the API
 * server does. Run by scripts/ops-tools.sh:
 *
 *   node_modules/.bin/node scripts/k8s-schemas.ts --openapi swagger.json --crd crd.yaml --out DIR
 *
 * CommonJS with erasable types only, so Node 24 runs it directly (like gen-playbook-schema.ts).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const fs = require('node:fs') as typeof import('node:fs');
const path = require('node:path') as typeof import('node:path');
const YAML = require('yaml') as typeof import('yaml');

type Schema = Record<string, unknown>;
interface Gvk {
  group: string;
  version: string;
  kind: string;
}

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };
const REF_PREFIX = '#/definitions/';
// Formats the JSON Schema validator does not know, or that YAML numbers would not meet as written.
const DROPPED_FORMATS = new Set(['int32', 'int64', 'double', 'byte', 'int-or-string']);

function args(argv: string[]): { openapi: string | undefined; crds: string[]; out: string } {
  let openapi: string | undefined;
  let out: string | undefined;
  const crds: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--openapi') openapi = value;
    else if (flag === '--crd') crds.push(value);
    else if (flag === '--out') out = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (out === undefined) throw new Error('--out DIR is required');
  return { openapi, crds, out };
}

/** kubeconform's file name: lower-case kind, then the first label of the group (if any) and the version. */
function fileName({ group, version, kind }: Gvk): string {
  const groupPrefix = group === '' ? '' : `-${group.split('.')[0]}`;
  return `${kind}${groupPrefix}-${version}.json`.toLowerCase();
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One schema node made strict and validator-friendly; `onRef` is told each definition it names. */
function convert(node: Schema, onRef: (name: string) => void): Schema {
  if (node['x-kubernetes-int-or-string'] === true || node['format'] === 'int-or-string') return { ...INT_OR_STRING };
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = value.replace(/^#\/definitions\//, '');
      onRef(name);
      out[key] = REF_PREFIX + name;
    } else if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, isObject(child) ? convert(child, onRef) : child]),
      );
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
      out[key] = convert(value, onRef);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((child: unknown) => (isObject(child) ? convert(child, onRef) : child));
    } else if (key === 'format' && typeof value === 'string' && DROPPED_FORMATS.has(value)) {
      continue;
    } else if (key === 'description' || key.startsWith('x-kubernetes-')) {
      continue; // size only: descriptions and API-machinery hints do not validate anything
    } else {
      out[key] = value;
    }
  }
  if (node['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  delete out['nullable'];
  const open = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(out['properties']) && out['additionalProperties'] === undefined && !open)
    out['additionalProperties'] = false;
  return out;
}

function write(dir: string, gvk: Gvk, schema: Schema): void {
  fs.writeFileSync(path.join(dir, fileName(gvk)), JSON.stringify(schema));
}

function fromOpenApi(file: string, dir: string): number {
  const document = JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, Schema> };
  const definitions = new Map<string, Schema>();
  for (const [name, definition] of Object.entries(document.definitions)) {
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') definitions.set(name, { ...INT_OR_STRING });
    else if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') definitions.set(name, { ...QUANTITY });
    else definitions.set(name, definition);
  }
  let written = 0;
  for (const [name, definition] of definitions) {
    const kinds = definition['x-kubernetes-group-version-kind'] as Gvk[] | undefined;
    if (kinds === undefined) continue;
    // The definitions this kind reaches, converted once each (cycles end at the second visit).
    const reached: Record<string, Schema> = {};
    const queue: string[] = [];
    const onRef = (ref: string): void => {
      if (!(ref in reached) && !queue.includes(ref)) queue.push(ref);
    };
    const root = convert(definition, onRef);
    for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
      const target = definitions.get(ref);
      if (target === undefined) throw new Error(`${name}: unknown definition ${ref}`);
      reached[ref] = convert(target, onRef);
    }
    for (const gvk of kinds) {
      // Each file fixes its apiVersion and kind, so a manifest cannot borrow another kind's schema.
      const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
      const properties = { ...(root['properties'] as Schema) };
      properties['apiVersion'] = { type: 'string', enum: [apiVersion] };
      properties['kind'] = { type: 'string', enum: [gvk.kind] };
      write(dir, gvk, { ...root, properties, definitions: reached });
      written += 1;
    }
  }
  return written;
}

function fromCrd(file: string, dir: string): number {
  let written = 0;
  for (const document of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const crd = document.toJS() as {
      kind?: string;
      spec?: {
        group: string;
        names: { kind: string };
        versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[];
      };
    } | null;
    if (crd?.kind !== 'CustomResourceDefinition' || crd.spec === undefined) continue;
    const { group, names, versions } = crd.spec;
    for (const version of versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!version.served || schema === undefined) continue;
      const root = convert(schema, (ref) => {
        throw new Error(`${file}: unexpected $ref ${ref}`);
      });
      const properties = { ...(root['properties'] as Schema) };
      properties['apiVersion'] = { type: 'string', enum: [`${group}/${version.name}`] };
      properties['kind'] = { type: 'string', enum: [names.kind] };
      // A CRD's schema leaves metadata open; the API server checks it as ObjectMeta.
      write(dir, { group, version: version.name, kind: names.kind }, { ...root, properties });
      written += 1;
    }
  }
  return written;
}

function main(): void {
  const { openapi, crds, out } = args(process.argv.slice(2));
  fs.mkdirSync(out, { recursive: true });
  let written = openapi === undefined ? 0 : fromOpenApi(openapi, out);
  for (const crd of crds) written += fromCrd(crd, out);
  process.stdout.write(`k8s-schemas: ${written} schemas written to ${out}\n`);
}

main();
