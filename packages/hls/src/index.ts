export { HlsError, HlsErrorCode } from './errors.js';
export { attr, formatAttributeList, type AttributeValue } from './playlist/attribute-list.js';
