import { describeSettings, temporalSettings } from '../../src/config';

describe('temporalSettings', () => {
  it('defaults to the local dev server and the contract task queue', () => {
    const settings = temporalSettings({});
    expect(settings.connectionOptions.address).toBe('localhost:7233');
    expect(settings.connectionOptions.tls).toBeUndefined();
    expect(settings.namespace).toBe('default');
    expect(settings.taskQueue).toBe('stagely-provisioning');
  });

  it('reads Temporal environment configuration and the task queue', () => {
    const settings = temporalSettings({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'previews',
      STAGELY_TASK_QUEUE: 'stagely-eu',
    });
    expect(settings.connectionOptions.address).toBe('temporal.internal:7233');
    expect(settings.namespace).toBe('previews');
    expect(settings.taskQueue).toBe('stagely-eu');
  });

  it('turns on TLS for an API key (Temporal Cloud) and never prints the key', () => {
    const settings = temporalSettings({
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'stagely.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key-value',
    });
    expect(settings.connectionOptions.apiKey).toBe('secret-api-key-value');
    expect(settings.connectionOptions.tls).toBe(true);
    const line = describeSettings(settings);
    expect(line).toBe('us-east-1.aws.api.temporal.io:7233 (namespace stagely.a1b2c, TLS with API key), task queue stagely-provisioning');
    expect(line).not.toContain('secret-api-key-value');
  });

  it('treats blank values as unset', () => {
    const settings = temporalSettings({ TEMPORAL_ADDRESS: ' ', STAGELY_TASK_QUEUE: '' });
    expect(settings.connectionOptions.address).toBe('localhost:7233');
    expect(settings.taskQueue).toBe('stagely-provisioning');
  });
});
