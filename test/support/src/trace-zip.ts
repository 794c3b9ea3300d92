import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

// The smallest zip reader that opens a Playwright trace: the end-of-central-
// directory record names where the directory is; each directory entry gives
// an entry's name, compression method, compressed size and the offset of its
// local header. Sizes come from the directory, not the local header, because
// a streaming writer (Playwright's) leaves the local sizes zero and puts them
// in a data descriptor. Only what traces use: stored (0) and deflated (8)
// entries, no zip64, no encryption — anything else throws rather than
// returning a wrong text. No zip library is in the workspace, and a ~50-line
// reader is cheaper than a dependency.

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every entry of the zip at `path`, by name, decompressed. */
export async function readZip(path: string): Promise<Map<string, Buffer>> {
  const zip = await readFile(path);
  const end = findEndOfDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || at === 0xffffffff) throw new Error(`${path}: zip64 is not supported`);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error(`${path}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    entries.set(name, entryData(zip, local, method, size, `${path}: ${name}`));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndOfDirectory(zip: Buffer): number {
  // the record is 22 bytes plus a comment of at most 64 KiB, at the very end
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new Error('not a zip: no end of central directory record');
}

function entryData(zip: Buffer, local: number, method: number, size: number, what: string): Buffer {
  if (zip.readUInt32LE(local) !== LOCAL) throw new Error(`${what}: bad local header`);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const data = zip.subarray(start, start + size);
  if (method === 0) return data;
  if (method === 8) return inflateRawSync(data);
  throw new Error(`${what}: compression method ${method} is not supported`);
}
