import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate authority on disk that signs the serving certificate and client certificates. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function newKey(file: string, cwd: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], cwd);
}

/** Signs a CSR for `subject` with the CA; `extensions` is an openssl extension section body. */
async function sign(pki: Pki, name: string, subject: string, extensions: string): Promise<void> {
  const cwd = pki.dir;
  await newKey(`${name}.key`, cwd);
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], cwd);
  await writeFile(path.join(cwd, `${name}.ext`), extensions);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    cwd,
  );
}

/** The files of a PKI created in `dir` by `createPki`, e.g. for another process of the same test run. */
export function pkiAt(dir: string): Pki {
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    servingCert: path.join(dir, 'apiserver.crt'),
    servingKey: path.join(dir, 'apiserver.key'),
    serviceAccountKey: path.join(dir, 'sa.key'),
    serviceAccountPublicKey: path.join(dir, 'sa.pub'),
  };
}

/** ECDSA P-256 throughout, one week of validity: enough for a test run or a `dev` session. */
export async function createPki(dir: string, extraIpSans: string[] = []): Promise<Pki> {
  const pki = pkiAt(dir);
  await newKey('ca.key', dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=scim-operator-test-ca',
      '-days',
      '7',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  await sign(
    pki,
    'apiserver',
    '/CN=kube-apiserver',
    `subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1${extraIpSans.map((ip) => `,IP:${ip}`).join('')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
  await newKey('sa.key', dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return pki;
}

let serial = 0;

/** A client certificate for Kubernetes user `user` in `groups` (CN is the user name, each O a group). */
export async function issueClientCertificate(
  pki: Pki,
  user: string,
  groups: string[] = [],
): Promise<ClientCertificate> {
  const name = `client-${process.pid}-${++serial}`;
  const subject = [...groups.map((g) => `/O=${escapeSubject(g)}`), `/CN=${escapeSubject(user)}`].join('');
  await sign(pki, name, subject, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  return {
    certPem: await readFile(path.join(pki.dir, `${name}.crt`), 'utf8'),
    keyPem: await readFile(path.join(pki.dir, `${name}.key`), 'utf8'),
  };
}

function escapeSubject(value: string): string {
  return value.replace(/[/\\+,=]/g, (c) => `\\${c}`);
}
