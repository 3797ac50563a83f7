import { spawn, spawnSync } from 'node:child_process';

/** All pairs at or above a threshold, as [i, j, similarity] with i < j. */
export type ExactPairs = Array<[number, number, number]>;

export interface NumpyExactResult {
  pairs: ExactPairs;
  /** Time of the products and re-checks inside Python, without the transfer. */
  seconds: number;
  numpyVersion: string;
}

/**
 * Exact all pairs in float64 terms: a blocked float32 BLAS product screens every pair at
 * threshold − 1e-4 (float32 rounding over 1536 terms is far below that), then each hit is
 * re-checked in float64. Vectors go through the child's stdin; nothing touches the disk.
 */
const SCRIPT = String.raw`
import sys, time
import numpy as np
n, d, threshold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
x = np.frombuffer(sys.stdin.buffer.read(n * d * 4), dtype=np.float32).reshape(n, d)
start = time.perf_counter()
norms = np.concatenate([np.linalg.norm(x[i:i + 4096].astype(np.float64), axis=1) for i in range(0, n, 4096)])
safe = np.where(norms > 0, norms, 1.0)
unit = (x / safe[:, None].astype(np.float32)).astype(np.float32)
rows, cols = 2048, 8192
found_i, found_j = [], []
for i0 in range(0, n, rows):
    block = unit[i0:i0 + rows]
    for j0 in range(i0, n, cols):
        scores = block @ unit[j0:j0 + cols].T
        ii, jj = np.nonzero(scores >= threshold - 1e-4)
        ii += i0
        jj += j0
        keep = ii < jj
        found_i.append(ii[keep])
        found_j.append(jj[keep])
gi = np.concatenate(found_i) if found_i else np.zeros(0, dtype=np.int64)
gj = np.concatenate(found_j) if found_j else np.zeros(0, dtype=np.int64)
dots = np.einsum('ij,ij->i', x[gi].astype(np.float64), x[gj].astype(np.float64))
with np.errstate(invalid='ignore', divide='ignore'):
    similarity = dots / (norms[gi] * norms[gj])
keep = similarity >= threshold
elapsed = time.perf_counter() - start
out = sys.stdout
out.write('numpy %s\n' % np.__version__)
out.write('seconds %r\n' % elapsed)
for a, b, s in zip(gi[keep].tolist(), gj[keep].tolist(), similarity[keep].tolist()):
    out.write('%d %d %r\n' % (a, b, s))
`;

export function numpyAvailable(): boolean {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  return probe.status === 0;
}

export async function exactPairsWithNumpy(data: Float32Array, count: number, dimensions: number, threshold: number): Promise<NumpyExactResult> {
  const child = spawn('python3', ['-c', SCRIPT, String(count), String(dimensions), String(threshold)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(Buffer.from(data.buffer, data.byteOffset, count * dimensions * 4));
  const code = await exited;
  if (code !== 0) throw new Error(`python3 exact all-pairs exited with ${code}`);

  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  const numpyVersion = lines[0].split(' ')[1];
  const seconds = Number(lines[1].split(' ')[1]);
  const pairs: ExactPairs = lines.slice(2).map((line) => {
    const [a, b, similarity] = line.split(' ').map(Number);
    return [a, b, similarity];
  });
  return { pairs, seconds, numpyVersion };
}
