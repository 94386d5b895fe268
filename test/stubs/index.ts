export * from './recording-server';
export * from '../../integrations/crowdstrike/crowdstrike.stub';
export * from '../../integrations/fortigate/fortigate.stub';
export * from './qradar-stub';
