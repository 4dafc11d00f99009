/** What route handlers share: the store, the cached rule set, the policy gate, the settings and the clock. */
import type { CloudConfig, Clock } from './config.js';
import type { LicenseSigningKey } from './licensing/index.js';
import type { PolicyGate } from './policy/index.js';
import type { ActiveRules } from './policy/index.js';
import type { Store } from './store/index.js';

export interface CloudServices {
  store: Store;
  rules: ActiveRules;
  /** The one gate every gated action passes (policy/gate.ts). */
  gate: PolicyGate;
  config: CloudConfig;
  now: Clock;
  version: string;
  licenseKey: LicenseSigningKey;
  /** The HMAC key of endpoint pseudonyms in the security network (network/network-key.ts). */
  networkKey: Buffer;
}
