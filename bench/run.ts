import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BENCHMARKS } from './benchmarks';
import type { BenchOutcome } from './support/benchmark';

/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name> [<name>…]` some.
 * Flags: `--scale F` (sizes × F), `--quick` (= --scale 0.05), `--runs N` (repetitions for medians).
 * Each writes bench/results/<name>.json and bench/results/<name>.md.
 */
interface Args {
  names: string[];
  scale: number;
  runs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { names: [], scale: 1, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.scale = 0.05;
    else if (arg === '--scale') args.scale = Number(argv[++i]);
    else if (arg === '--runs') args.runs = Number(argv[++i]);
    else if (arg.startsWith('--')) throw new Error(`unknown flag ${arg}`);
    else args.names.push(arg);
  }
  if (!(args.scale > 0)) throw new Error('--scale must be a positive number');
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a whole number ≥ 1');
  return args;
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length}× ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${loadavg()[0].toFixed(2)}`;
}

function writeResult(dir: string, name: string, description: string, scale: number, outcome: BenchOutcome): void {
  const date = new Date().toISOString();
  const result = { name, date, machine: machine(), scale, figures: outcome.figures, notes: outcome.notes ?? {} };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  const rows = Object.entries(outcome.figures).map(([key, value]) => `| ${key} | ${value} |`);
  const notes = Object.entries(outcome.notes ?? {}).map(([key, value]) => `- **${key}**: ${value}`);
  const md = [
    `# ${name}`,
    '',
    description,
    '',
    `${date} · ${result.machine} · scale ${scale}`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows,
    '',
    ...notes,
    '',
  ].join('\n');
  writeFileSync(join(dir, `${name}.md`), md);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const unknown = args.names.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  const selected = args.names.length ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS;
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  for (const benchmark of selected) {
    const log = (message: string) => process.stdout.write(`[${benchmark.name}] ${message}\n`);
    log(`starting (scale ${args.scale}, runs ${args.runs})`);
    const outcome = await benchmark.run({ scale: args.scale, runs: args.runs, log });
    writeResult(dir, benchmark.name, benchmark.description, args.scale, outcome);
    log(JSON.stringify(outcome.figures));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
