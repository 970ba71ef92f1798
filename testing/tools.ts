/** Tools of this machine by name, for tests and the bench (free of Jest): the simulator's own finder. */
export { findTool } from '../simulator/hosts/debian-programs.js';
