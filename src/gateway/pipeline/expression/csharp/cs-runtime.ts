/** Loads every runtime file, so their members are declared (cs-names.ts) before parsing. */
import './cs-context.js';
import './cs-strings.js';
import './cs-linq.js';
import './cs-objects.js';
import './cs-statics.js';
import './cs-authorization.js';
import './cs-regex.js';
import './cs-xml.js';
