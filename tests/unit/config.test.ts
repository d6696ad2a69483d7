// Settings of the in-memory failure topology read from the environment.

import { ConfigError, loadConfig } from '../../src/platform/config';

describe('TOPOLOGY_MAX_LAG_MS', () => {
  it('is 100 ms unless set; 0 makes every walk check the head', () => {
    expect(loadConfig({}).topologyMaxLagMs).toBe(100);
    expect(loadConfig({ TOPOLOGY_MAX_LAG_MS: '0' }).topologyMaxLagMs).toBe(0);
    expect(loadConfig({ TOPOLOGY_MAX_LAG_MS: '2500' }).topologyMaxLagMs).toBe(2500);
  });

  it.each(['-1', '60001', '1.5', 'soon'])('refuses %s, naming the setting and its range', (raw) => {
    expect(() => loadConfig({ TOPOLOGY_MAX_LAG_MS: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ TOPOLOGY_MAX_LAG_MS: raw })).toThrow(/TOPOLOGY_MAX_LAG_MS.*between 0 and 60000/);
  });
});
