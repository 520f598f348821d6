// Every JavaScript snippet in the docs parses as an ES module, and every name it imports from
// the client is one the client exports (the docs compile, as the Swift snippets do).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const docs = fileURLToPath(new URL('../../../docs/', import.meta.url))

test('the JavaScript snippets of docs/ parse, and import only what the client exports', async () => {
  const client = await import('../zinc.mjs')
  const directory = mkdtempSync(join(tmpdir(), 'zinc-snippets-'))
  let count = 0
  for (const file of readdirSync(docs).filter(name => name.endsWith('.md'))) {
    const text = readFileSync(join(docs, file), 'utf8')
    for (const [index, match] of [...text.matchAll(/```js\n([\s\S]*?)```/g)].entries()) {
      const path = join(directory, `${file}-${index}.mjs`)
      writeFileSync(path, match[1])
      execFileSync(process.execPath, ['--check', path])
      for (const names of match[1].matchAll(/import \{([^}]*)\} from '\.\/zinc\.mjs'/g)) {
        for (const name of names[1].split(',').map(part => part.trim()).filter(Boolean)) assert.ok(name in client, `${file}: zinc.mjs exports no ${name}`)
      }
      count += 1
    }
  }
  assert.ok(count >= 1, 'docs/web.md has its snippet')
})
