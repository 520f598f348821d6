// Real `zinc node` processes for the JavaScript client's tests: free ports below 32768 (the
// kernel hands out 32768–60999 to outgoing connections), nodes started and killed, and the CLI
// for reading and editing documents at a node. The binary is $ZINC_BINARY, or the debug build.
import { spawn, execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

export const binary = process.env.ZINC_BINARY ?? fileURLToPath(new URL('../../../.build/debug/zinc', import.meta.url))
export const hasBinary = existsSync(binary)
export const hasWebSocket = typeof globalThis.WebSocket === 'function'

const used = new Set()
/** A TCP port (and the next `span - 1`) free on 127.0.0.1, between 20000 and 32000. */
export async function freePort (span = 1) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000)
    const ports = Array.from({ length: span }, (_, index) => port + index)
    if (ports.some(candidate => used.has(candidate))) continue
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) {
      for (const candidate of ports) used.add(candidate)
      return port
    }
  }
  throw new Error('no free port')
}

function isFree (port) {
  return new Promise(resolve => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Starts `zinc node ARGS…`; resolves once it has printed its first line (it is up). */
export function startNode (args, { name = 'node' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['node', ...args, '--parent-pid', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let errors = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} did not start: ${errors}`)) }, 15_000)
    child.stderr.on('data', chunk => { errors += chunk })
    child.stdout.on('data', chunk => {
      output += chunk
      if (output.includes('\n')) {
        clearTimeout(timer)
        resolve({ child, line: output.split('\n')[0], kill: (signal = 'SIGTERM') => child.kill(signal), errors: () => errors })
      }
    })
    child.on('exit', code => { clearTimeout(timer); if (output === '') reject(new Error(`${name} exited (${code}): ${errors}`)) })
  })
}

/** Runs `zinc ARGS…` and resolves with its standard output. */
export function zinc (...args) {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`zinc ${args.join(' ')}: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}

/** A node's status (its admin interface's JSON). */
export async function status (admin) { return JSON.parse(await zinc('status', admin, '--json')) }

/** A document's text at a node (empty if the node does not hold it yet). */
export async function text (admin, document) {
  try {
    return JSON.parse(await zinc('doc', admin, document, '--json')).text ?? ''
  } catch (error) {
    if (/not found|no document|unknown document/i.test(error.message)) return ''
    throw error
  }
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function eventually (what, check, timeout = 15_000) {
  const deadline = Date.now() + timeout
  let last
  while (Date.now() < deadline) {
    try {
      last = await check()
      if (last) return last
    } catch (error) {
      last = error
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
