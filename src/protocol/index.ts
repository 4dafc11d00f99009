/** What the agent and the cloud share: wire formats. Imports nothing of Vigil. */
export { hexToBytes, isHex } from './hex.js';
