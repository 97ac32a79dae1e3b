export { KEY_STATES, SigningKey, type AsymmetricAlgorithm, type KeyState } from './signing-key.entity.js';
export { SigningKeysModule } from './signing-keys.module.js';
export { SigningKeysService, type PublicJwk, type Signer, type SigningAlgorithm } from './signing-keys.service.js';
