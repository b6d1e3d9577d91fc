/**
 * nginx for the scale-out harness: deploy/nginx.conf (the documented
 * configuration) included from a minimal main configuration of the test's
 * own, run in the foreground as a child of the test.
 */
import { chmodSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, spawnLogged, stopChild } from './cluster-processes.ts';
import type { LoggedChild } from './cluster-processes.ts';

export const nginxTemplate = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

/** One line of nginx's access log (deploy/nginx.conf `log_format portcullis`). */
export interface AccessLogEntry {
  time: string;
  request_id: string;
  method: string;
  uri: string;
  status: number;
  /** The instance address(es) nginx tried, e.g. "127.0.0.1:4001" or "127.0.0.1:4001, 127.0.0.1:4002". */
  upstream: string;
  upstream_status: string;
  /** The gateway's own request id (its request record's id); empty when no instance answered. */
  gateway_request_id: string;
}

export interface RunningNginx {
  child: LoggedChild;
  accessLog(): Promise<AccessLogEntry[]>;
  stop(): Promise<void>;
}

/**
 * deploy/nginx.conf with the test's instances and a loopback listen address;
 * the TLS lines are dropped (plain HTTP here) and the access log is the test's.
 */
export function renderNginxSite(
  template: string,
  options: { listen: string; instances: string[]; accessLog: string },
): string {
  const lines = template.split('\n');
  const out: string[] = [];
  let inUpstream = false;
  let instancesWritten = false;
  for (const line of lines) {
    if (/^upstream portcullis \{/.test(line)) inUpstream = true;
    else if (inUpstream && /^\}/.test(line)) inUpstream = false;
    if (inUpstream && /^\s*server \S+/.test(line)) {
      // The first server line stands for all: each instance gets its parameters.
      const parameters = line.replace(/^\s*server \S+/, '');
      if (!instancesWritten)
        for (const address of options.instances) out.push(`    server ${address}${parameters}`);
      instancesWritten = true;
      continue;
    }
    if (/^\s*listen \[::\]:443/.test(line) || /^\s*ssl_/.test(line)) continue;
    if (/^\s*listen 443 ssl;/.test(line)) {
      out.push(`    listen ${options.listen};`);
      continue;
    }
    if (/^\s*access_log /.test(line)) {
      out.push(`    access_log ${options.accessLog} portcullis;`);
      continue;
    }
    out.push(line);
  }
  if (!instancesWritten) throw new Error('the nginx template has no upstream server lines');
  return out.join('\n');
}

function nginxMainConfig(root: string, site: string): string {
  // One worker: nginx's round-robin is then a strict rotation across instances.
  return `daemon off;
master_process on;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path ${root}/tmp/body;
  proxy_temp_path ${root}/tmp/proxy;
  fastcgi_temp_path ${root}/tmp/fastcgi;
  uwsgi_temp_path ${root}/tmp/uwsgi;
  scgi_temp_path ${root}/tmp/scgi;
  include ${site};
}
`;
}

const TEMP_DIRS = ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

/** Starts nginx with its files under `root` (created here); the caller waits until it answers. */
export async function startNginx(
  root: string,
  options: { listen: string; instances: string[] },
): Promise<RunningNginx> {
  for (const dir of TEMP_DIRS) await mkdir(path.join(root, 'tmp', dir), { recursive: true });
  // As root, nginx workers run as nobody and must reach their temp dirs (the
  // parent is the cluster's own temp dir, created 0700).
  if (process.getuid?.() === 0) {
    for (const dir of [path.dirname(root), root, path.join(root, 'tmp')]) chmodSync(dir, 0o755);
    for (const dir of TEMP_DIRS) chmodSync(path.join(root, 'tmp', dir), 0o777);
  }
  const accessLog = path.join(root, 'access.log');
  const site = path.join(root, 'portcullis.conf');
  await writeFile(
    site,
    renderNginxSite(await readFile(nginxTemplate, 'utf8'), { ...options, accessLog }),
  );
  const main = path.join(root, 'nginx.conf');
  await writeFile(main, nginxMainConfig(root, site));
  const child = spawnLogged(findExecutable('nginx') ?? 'nginx', ['-p', root, '-c', main]);
  return {
    child,
    async accessLog() {
      const text = await readFile(accessLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AccessLogEntry);
    },
    stop: () => stopChild(child, 'SIGTERM'),
  };
}
