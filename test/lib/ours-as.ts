/**
 * Our answers for one process as another user sees them (run as that user
 * by the test): argv[2] is the pid, argv[3] the calls as JSON. Prints the
 * answers as JSON.
 */
import { ours } from './shapes.js';

const pid = Number(process.argv[2]);
process.stdout.write(JSON.stringify(ours(pid, JSON.parse(process.argv[3]))));
