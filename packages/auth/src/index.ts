export { type ConnectionRow, findConnection } from './find-connection.js';
