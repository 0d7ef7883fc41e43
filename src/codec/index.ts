export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError, payloadKeyId, type PayloadKey, type PayloadKeyring } from './aes-gcm-codec';
export { dataConverterFromEnv, describeEncryption, type PayloadEncryption } from './data-converter';
export { keyringFromEnv, parsePayloadKey, PAYLOAD_KEY_VARIABLES } from './payload-keys';
