import { writeFile } from 'node:fs/promises';
import { renderErrorsDoc } from './error-catalog-doc.js';

await writeFile(new URL('../docs/errors.md', import.meta.url), await renderErrorsDoc());
process.stdout.write('docs/errors.md written\n');
