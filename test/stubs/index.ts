export * from './recording-server';
export * from './crowdstrike-stub';
export * from './fortigate-stub';
export * from './qradar-stub';
