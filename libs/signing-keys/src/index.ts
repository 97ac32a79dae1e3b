export { KEY_STATES, SigningKey, type AsymmetricAlgorithm, type KeyState } from './signing-key.entity.js';
export { KeyRing, type PublicJwk, type Signer, type SigningAlgorithm } from './key-ring.js';
export { SigningKeysModule } from './signing-keys.module.js';
export { SigningKeysService } from './signing-keys.service.js';
