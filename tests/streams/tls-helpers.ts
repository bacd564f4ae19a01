// Helpers of the TLS tests: certificates made with the openssl CLI at test time, in-memory
// transports (a stapled memory pair, a gate that delivers everything queued as one chunk),
// and openssl s_client / s_server peers. Synchronisation is by events, never by sleeping.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BrokenResourceError,
  ByteStreamBase,
  createMemoryObjectStream,
  EndOfStream,
  Event,
  StapledByteStream,
  taskGroup,
} from "../../mod.ts";

export const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** PEM strings (and their files) of the test PKI. */
export interface TestPki {
  dir: string;
  caCert: string;
  caFile: string;
  /** For "localhost", 127.0.0.1 and ::1, signed by the CA. */
  serverCert: string;
  serverKey: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** DER of the server certificate. */
  serverCertDer: Uint8Array;
  /** A client certificate (CN=client) signed by the CA. */
  clientCert: string;
  clientKey: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A self-signed certificate for "localhost" (CN=localhost). */
  selfSignedCert: string;
  selfSignedKey: string;
  /** Removes the directory. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a CA, a server and a client certificate signed by it, and a self-signed one. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "anyts-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=anyts test CA"], dir);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], dir);
  openssl(["x509", "-in", "server.pem", "-outform", "DER", "-out", "server.der"], dir);
  openssl(["req", ...ec, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"], dir);
  openssl(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.ext"], dir);
  openssl(["req", "-x509", ...ec, "-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], dir);
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    dir,
    caCert: read("ca.pem"),
    caFile: join(dir, "ca.pem"),
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    serverCertDer: new Uint8Array(readFileSync(join(dir, "server.der"))),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    clientCertFile: join(dir, "client.pem"),
    clientKeyFile: join(dir, "client.key"),
    selfSignedCert: read("self.pem"),
    selfSignedKey: read("self.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Two connected in-memory byte streams (no sockets): what one sends, the other receives. */
export function memoryPair(bufferSize = 8): [StapledByteStream, StapledByteStream] {
  const [aToB, bFromA] = createMemoryObjectStream<Uint8Array>(bufferSize);
  const [bToA, aFromB] = createMemoryObjectStream<Uint8Array>(bufferSize);
  return [new StapledByteStream(aToB, aFromB), new StapledByteStream(bToA, bFromA)];
}

/**
 * The receiving end of a one-way gated pipe: while held, nothing is delivered; `release()`
 * delivers everything queued so far as ONE chunk (as a socket may deliver a close_notify
 * and the plain bytes after it in one read). `GatedPipe.send()` queues.
 */
export class GatedPipe {
  queue: Uint8Array[] = [];
  held = false;
  ended = false;
  changed = new Event();

  send(data: Uint8Array): void {
    if (this.ended) throw new BrokenResourceError("the receiving end is gone");
    this.queue.push(data.slice());
    this.wake();
  }
  end(): void {
    this.ended = true;
    this.wake();
  }
  hold(): void {
    this.held = true;
  }
  release(): void {
    this.held = false;
    this.wake();
  }
  wake(): void {
    this.changed.set();
    this.changed = new Event();
  }
  async receive(): Promise<Uint8Array<ArrayBuffer>> {
    for (;;) {
      if (!this.held && this.queue.length !== 0) {
        const all = concatBytes(this.queue);
        this.queue = [];
        return all;
      }
      if (!this.held && this.ended) throw new EndOfStream();
      await this.changed.wait();
    }
  }
}

/** A byte stream that sends into one GatedPipe and receives from another. */
export class GatedStream extends ByteStreamBase {
  readonly outgoing: GatedPipe;
  readonly incoming: GatedPipe;
  constructor(outgoing: GatedPipe, incoming: GatedPipe) {
    super();
    this.outgoing = outgoing;
    this.incoming = incoming;
  }
  receive(_maxBytes?: number): Promise<Uint8Array<ArrayBuffer>> {
    return this.incoming.receive();
  }
  async send(data: Uint8Array): Promise<void> {
    this.outgoing.send(data);
  }
  async sendEof(): Promise<void> {
    this.outgoing.end();
  }
  async aclose(): Promise<void> {
    this.outgoing.end();
  }
}

/**
 * A byte stream over another whose connection can be "reset": `reset()` makes a pending
 * and every later receive and send fail with BrokenResourceError.
 */
export class ResettableStream extends ByteStreamBase {
  broken = new Event();
  readonly inner: ByteStreamBase;
  constructor(inner: ByteStreamBase) {
    super();
    this.inner = inner;
  }
  reset(): void {
    this.broken.set();
  }
  async receive(maxBytes?: number): Promise<Uint8Array<ArrayBuffer>> {
    if (this.broken.isSet()) throw new BrokenResourceError("connection reset by peer");
    let result: Uint8Array<ArrayBuffer> | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await this.broken.wait();
        tg.cancelScope.cancel();
      });
      result = await this.inner.receive(maxBytes);
      tg.cancelScope.cancel();
    });
    if (result === undefined) throw new BrokenResourceError("connection reset by peer");
    return result;
  }
  async send(data: Uint8Array): Promise<void> {
    if (this.broken.isSet()) throw new BrokenResourceError("connection reset by peer");
    await this.inner.send(data);
  }
  sendEof(): Promise<void> {
    return this.inner.sendEof();
  }
  aclose(): Promise<void> {
    return this.inner.aclose();
  }
}

/** Two GatedStreams connected to each other; `toA` gates what `a` receives. */
export function gatedPair(): { a: GatedStream; b: GatedStream; toA: GatedPipe; toB: GatedPipe } {
  const toA = new GatedPipe();
  const toB = new GatedPipe();
  return { a: new GatedStream(toB, toA), b: new GatedStream(toA, toB), toA, toB };
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A child process with its output collected, for openssl s_client / s_server. */
export class OpensslPeer {
  readonly child: ChildProcess;
  output = "";
  errors = "";
  exited = false;
  exitCode: number | null = null;
  #waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.on("data", (chunk: Uint8Array) => {
      this.output += new TextDecoder().decode(chunk);
      this.#wake();
    });
    this.child.stderr!.on("data", (chunk: Uint8Array) => {
      this.errors += new TextDecoder().decode(chunk);
      this.#wake();
    });
    this.child.stdin!.on("error", () => {});
    this.child.on("error", (error) => {
      this.errors += String(error);
      this.exited = true;
      this.#wake();
    });
    this.child.on("exit", (code) => {
      this.exited = true;
      this.exitCode = code;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Waits until `condition()` holds (checked on every output and at exit). */
  async until(condition: () => boolean, what: string): Promise<void> {
    while (!condition()) {
      if (this.exited) {
        // Let the last output arrive before giving up.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (condition()) return;
        throw new Error(`openssl exited (${this.exitCode}) before ${what}; stdout: ${this.output}; stderr: ${this.errors}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  write(data: string): void {
    this.child.stdin!.write(data);
  }

  /** Kills the process and waits for it to exit. */
  async kill(): Promise<void> {
    if (!this.exited) {
      this.child.kill("SIGKILL");
      await this.until(() => this.exited, "exit").catch(() => {});
    }
  }
}

/** PEM strings of the PKI for hostile clients (see {@link makeHostilePki}). */
export interface HostilePki {
  /** A self-signed server certificate for "localhost" and 127.0.0.1, and its key. */
  serverCert: string;
  serverKey: string;
  /** The CA that signs the accepted client certificates (RSA). */
  clientCa: string;
  /** Client certificates (all with the same key): signed by the client CA… */
  goodCert: string;
  /** …by a rogue CA with the same subject name as the client CA (RSA: a bad signature)… */
  rogueCert: string;
  /** …by an unrelated CA… */
  unknownCert: string;
  /** …and by the client CA, but expired in 2020. */
  expiredCert: string;
  clientKey: string;
  /** The path of one of the PEM files: "server.pem", "good.pem", "rogue.pem", "client.key"… */
  file(name: string): string;
  /** Removes the directory. */
  remove(): void;
}

/**
 * The certificates of the hostile-client tests. The client CA and the rogue CA are RSA
 * with the same subject: verifying the rogue's certificate with the real CA's key fails
 * in RSA padding, which is what led Node 24's TLSWrap to deliver plaintext to a destroyed
 * socket (issue 8, item 1).
 */
export function makeHostilePki(): HostilePki {
  const dir = mkdtempSync(join(tmpdir(), "anyts-tls-hostile-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const rsa = ["-newkey", "rsa:2048", "-nodes"];
  const caSubject = "/CN=anyts client CA";
  openssl(["req", "-x509", ...ec, "-keyout", "server.key", "-out", "server.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], dir);
  openssl(["req", "-x509", ...rsa, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", caSubject], dir);
  openssl(["req", "-x509", ...rsa, "-keyout", "rogue-ca.key", "-out", "rogue-ca.pem", "-days", "2", "-subj", caSubject], dir);
  openssl(["req", "-x509", ...ec, "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=somebody else's CA"], dir);
  openssl(["req", ...rsa, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"], dir);
  const sign = (ca: string, out: string) =>
    openssl(["x509", "-req", "-in", "client.csr", "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", out, "-days", "2"], dir);
  sign("ca", "good.pem");
  sign("rogue-ca", "rogue.pem");
  sign("other-ca", "unknown.pem");
  // `openssl ca` can date a certificate in the past (x509 -req cannot, in OpenSSL 3.0).
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]", "default_ca = default", "[default]", "dir = .", "database = index.txt", "new_certs_dir = .",
      "certificate = ca.pem", "private_key = ca.key", "serial = serial", "default_md = sha256",
      "policy = any", "unique_subject = no", "[any]", "commonName = supplied", "",
    ].join("\n"),
  );
  openssl(["ca", "-config", "ca.cnf", "-batch", "-notext", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-in", "client.csr", "-out", "expired.pem"], dir);
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    clientCa: read("ca.pem"),
    goodCert: read("good.pem"),
    rogueCert: read("rogue.pem"),
    unknownCert: read("unknown.pem"),
    expiredCert: read("expired.pem"),
    clientKey: read("client.key"),
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
