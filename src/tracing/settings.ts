/**
 * Whether to trace, read from the configuration and the standard OTEL_* variables. Apart from
 * the SDK (src/tracing/index.ts): a process that does not trace never loads OpenTelemetry's SDK.
 */
import type { InterlockConfig } from '../config/schema';

export interface TracingSettings {
  /** OTLP/HTTP traces URL; undefined: the exporter reads the standard OTEL_EXPORTER_OTLP_* variables. */
  url?: string;
  headers: Record<string, string>;
  serviceName: string;
  sampleRatio: number;
}

type Env = Record<string, string | undefined>;

const set = (value: string | undefined): boolean => value !== undefined && value !== '';

/**
 * Whether to trace, and where to: `telemetry.tracing.otlpEndpoint`, else the standard
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` variables; neither, or
 * `OTEL_SDK_DISABLED=true`: off (undefined).
 */
export function tracingSettings(config: InterlockConfig, env: Env = process.env): TracingSettings | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  const configured = config.telemetry.tracing;
  const endpoint = configured?.otlpEndpoint;
  if (
    endpoint === undefined &&
    !set(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) &&
    !set(env['OTEL_EXPORTER_OTLP_ENDPOINT'])
  )
    return undefined;
  return {
    // Like OTEL_EXPORTER_OTLP_ENDPOINT, a base URL: the traces path is appended.
    ...(endpoint === undefined
      ? {}
      : { url: /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
    headers: configured?.headers ?? {},
    serviceName: configured?.serviceName ?? 'interlock',
    sampleRatio: configured?.sampleRatio ?? 1,
  };
}
