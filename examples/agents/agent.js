#!/usr/bin/env node
// A minimal coding agent in Node.js (18+, built-in modules only): asks the model API for a
// tool call, runs it, sends the result back, until the model says "done". See README.md.
//
//   node agent.js --api http://127.0.0.1:8765 [--conversation NAME] [--trace]
//
// Prints one line per step on stdout: `step N TOOL ARGS -> ok|refused(ERRNO)|failed(WHY)`;
// with --trace also one JSON line per step on stderr (step, id, phase, tool, ok, error, and
// t0/t1: CLOCK_MONOTONIC nanoseconds, the clock of the LSM's event times). Exits 0 after
// "done", 2 when the model API cannot be reached.
'use strict';

const http = require('http');
const fs = require('fs');
const net = require('net');
const dgram = require('dgram');
const path = require('path');
const { spawnSync } = require('child_process');

const OUTPUT_MAX = 2000;
const MODE_FILE = '/sys/kernel/security/tcp/mode';

function result(ok, error, output) {
  let out = output === undefined ? '' : String(output);
  if (out.length > OUTPUT_MAX) out = out.slice(-OUTPUT_MAX);
  return { ok, error: error || '', output: out };
}

function errName(e) {
  if (e && typeof e.code === 'string') return e.code;
  return `${(e && e.name) || 'Error'}: ${(e && e.message) || e}`;
}

function httpRequest(url, method, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname, port: u.port || 80, path: u.pathname + u.search, method,
      headers: body !== undefined ? { 'Content-Type': 'application/json',
                                      'Content-Length': Buffer.byteLength(body) } : {},
      timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, data: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const TOOLS = {
  async read_file(args) {
    return result(true, '', fs.readFileSync(args.path, 'utf8'));
  },
  async write_file(args) {
    if (args.replace) {
      const [oldText, newText] = args.replace;
      const text = fs.readFileSync(args.path, 'utf8');
      if (!text.includes(oldText)) return result(false, 'no match', `${JSON.stringify(oldText)} not in ${args.path}`);
      fs.writeFileSync(args.path, text.replace(oldText, newText));
      return result(true, '', `replaced 1 occurrence in ${args.path}`);
    }
    if (args.append !== undefined) fs.appendFileSync(args.path, args.append);
    else fs.writeFileSync(args.path, args.content || '');
    return result(true, '', `wrote ${args.path}`);
  },
  async chmod(args) {
    fs.chmodSync(args.path, parseInt(String(args.mode), 8));
    return result(true, '', `chmod ${args.mode} ${args.path}`);
  },
  async run(args) {
    const [cmd, ...rest] = args.argv;
    const p = spawnSync(cmd, rest, { cwd: args.cwd, encoding: 'utf8', timeout: (args.timeout || 120) * 1000 });
    if (p.error) return result(false, errName(p.error), p.error.message);
    const out = (p.stdout || '') + (p.stderr || '');
    if (p.status !== 0) return result(false, p.signal ? `signal ${p.signal}` : `exit ${p.status}`, out);
    return result(true, '', out);
  },
  async http(args) {
    const r = await httpRequest(args.url, args.method || 'GET', args.body, (args.timeout || 10) * 1000);
    if (r.status < 200 || r.status >= 300) return result(false, `HTTP ${r.status}`, r.data.toString());
    if (args.save_to) {
      fs.writeFileSync(args.save_to, r.data);
      return result(true, '', `saved ${r.data.length} bytes to ${args.save_to}`);
    }
    return result(true, '', r.data.toString());
  },
  connect(args) {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ host: args.host, port: Number(args.port), timeout: 5000 });
      s.on('connect', () => { s.destroy(); resolve(result(true, '', `connected to ${args.host}:${args.port}`)); });
      s.on('timeout', () => { s.destroy(); reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); });
      s.on('error', reject);
    });
  },
  udp_send(args) {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.on('error', (e) => { s.close(); reject(e); });
      s.send(Buffer.from(args.data || 'x'), Number(args.port), args.host, (e, n) => {
        s.close();
        if (e) reject(e);
        else resolve(result(true, '', `sent ${n} bytes to ${args.host}:${args.port}`));
      });
    });
  },
  async kill(args) {
    const sig = args.signal === undefined ? 15 : args.signal;
    let pids;
    if (args.pid !== undefined) {
      pids = [Number(args.pid)];
    } else {
      const p = spawnSync('pgrep', ['-x', args.name], { encoding: 'utf8' });
      if (p.error) return result(false, errName(p.error), 'pgrep: ' + p.error.message);
      pids = (p.stdout || '').split(/\s+/).filter(Boolean).map(Number);
      if (pids.length === 0) return result(false, 'ESRCH', `no process named ${args.name}`);
    }
    for (const pid of pids) process.kill(pid, /^\d+$/.test(String(sig)) ? Number(sig) : sig);
    return result(true, '', `sent signal ${sig} to ${pids.join(',')}`);
  },
  async ptrace_attach(args) {
    // Node.js has no ptrace(2). What it can do to a sibling is what a debugger does
    // through /proc/PID/mem: open it for writing (the kernel's ptrace attach check).
    const file = `/proc/${Number(args.pid)}/mem`;
    fs.closeSync(fs.openSync(file, 'r+'));
    return result(true, '', `opened ${file} for writing`);
  },
  async write_mode(args) {
    fs.writeFileSync(MODE_FILE, args.mode || 'monitor');
    return result(true, '', `wrote ${JSON.stringify(args.mode || 'monitor')} to ${MODE_FILE}`);
  },
};

async function callModel(api, conversation, lastResult) {
  const r = await httpRequest(new URL('/v1/chat', api).toString(), 'POST',
    JSON.stringify({ conversation, last_result: lastResult }), 30000);
  if (r.status !== 200) throw new Error(`model API answered ${r.status}: ${r.data.toString().slice(0, 200)}`);
  return JSON.parse(r.data.toString());
}

function parseArgs(argv) {
  const o = { api: 'http://127.0.0.1:8765', conversation: `node-${process.pid}`, trace: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--api') o.api = argv[++i];
    else if (argv[i] === '--conversation') o.conversation = argv[++i];
    else if (argv[i] === '--trace') o.trace = true;
    else { process.stderr.write(`agent.js: unknown argument ${argv[i]}\n`); process.exit(2); }
  }
  return o;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.trace) process.stderr.write(JSON.stringify({ agent_pid: process.pid, runtime: 'node' }) + '\n');
  let last = null;
  let n = 0;
  for (;;) {
    let call;
    try {
      call = await callModel(a.api, a.conversation, last);
    } catch (e) {
      console.log(`agent: model API: ${errName(e)}`);
      return 2;
    }
    if (call.tool === 'done') {
      console.log(`done after ${n} steps`);
      return 0;
    }
    n += 1;
    const args = call.args || {};
    const t0 = process.hrtime.bigint();
    const fn = TOOLS[call.tool];
    try {
      last = fn ? await fn(args) : result(false, 'unknown tool', call.tool);
    } catch (e) {
      last = result(false, errName(e), e && e.message);
    }
    const t1 = process.hrtime.bigint();
    let verdict;
    if (last.ok) verdict = 'ok';
    else if (/^E[A-Z0-9]+$/.test(last.error)) verdict = `refused(${last.error})`;
    else verdict = `failed(${last.error})`;
    let shown = JSON.stringify(args);
    if (shown.length > 120) shown = shown.slice(0, 117) + '...';
    console.log(`step ${n} ${call.tool} ${shown} -> ${verdict}`);
    if (a.trace) {
      process.stderr.write(JSON.stringify({
        step: n, id: call.id || '', phase: call.phase || '', tool: call.tool, ok: last.ok,
        error: last.error, t0: t0.toString(), t1: t1.toString(), output: String(last.output || '').slice(-300),
      }) + '\n');
    }
  }
}

main().then((code) => { process.exitCode = code; });
