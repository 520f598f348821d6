// Headless Chromium driven over the DevTools protocol (no npm packages: Node 20's WebSocket
// and fetch): pages opened, scripts evaluated, real key events typed, screenshots taken.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, eventually } from './support.mjs'

/** The Chromium executable, or null when none is installed. */
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(path => {
  try { execFileSync(path, ['--version'], { stdio: 'ignore' }); return true } catch { return false }
}) ?? null

export class Browser {
  static async launch () {
    const port = await freePort()
    const profile = mkdtempSync(join(tmpdir(), 'zinc-chromium-'))
    const child = spawn(chromiumPath, [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
      `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, '--window-size=1000,640', 'about:blank'
    ], { stdio: 'ignore' })
    const browser = new Browser(child, port, profile)
    await eventually('Chromium’s DevTools endpoint', async () => (await fetch(`http://127.0.0.1:${port}/json/version`)).ok, 20_000)
    return browser
  }

  constructor (child, port, profile) {
    this.child = child
    this.port = port
    this.profile = profile
  }

  /** Opens `url` in a new tab and resolves once its DevTools session is attached. */
  async open (url) {
    const target = await (await fetch(`http://127.0.0.1:${this.port}/json/new?${encodeURIComponent(url)}`, { method: 'PUT' })).json()
    const page = new Page(target.webSocketDebuggerUrl)
    await page.ready
    await page.send('Page.enable')
    await page.send('Runtime.enable')
    await page.send('Emulation.setFocusEmulationEnabled', { enabled: true })
    return page
  }

  close () {
    this.child.kill('SIGKILL')
    rmSync(this.profile, { recursive: true, force: true })
  }
}

export class Page {
  constructor (url) {
    this.socket = new WebSocket(url)
    this.next = 1
    this.pending = new Map()
    this.errors = []
    this.ready = new Promise((resolve, reject) => { this.socket.onopen = resolve; this.socket.onerror = reject })
    this.socket.onmessage = event => {
      const message = JSON.parse(event.data)
      if (message.id !== undefined) {
        const waiter = this.pending.get(message.id)
        this.pending.delete(message.id)
        if (message.error) waiter?.reject(new Error(`${message.error.message}`))
        else waiter?.resolve(message.result)
      } else if (message.method === 'Runtime.exceptionThrown') {
        this.errors.push(message.params.exceptionDetails.exception?.description ?? message.params.exceptionDetails.text)
      }
    }
  }

  send (method, params = {}) {
    const id = this.next++
    this.socket.send(JSON.stringify({ id, method, params }))
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }))
  }

  /** Evaluates `expression` in the page and resolves with its (JSON) value. */
  async evaluate (expression) {
    const result = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })
    if (result.exceptionDetails) throw new Error(`${expression}: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`)
    return result.result.value
  }

  /** Types `text` as key presses at the focused element's caret, one character at a time. */
  async type (text, pause = 15) {
    for (const character of text) {
      await this.send('Input.dispatchKeyEvent', { type: 'keyDown', text: character, unmodifiedText: character, key: character })
      await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key: character })
      await new Promise(resolve => setTimeout(resolve, pause))
    }
  }

  async screenshot () {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' })
    return Buffer.from(data, 'base64')
  }

  close () { this.socket.close() }
}
