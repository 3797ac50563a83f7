/** The one line main.ts prints once it listens, which spawnFakeOpenAI waits for. */
const PREFIX = 'fake-openai listening on ';

export function listeningLine(baseURL: string): string {
  return `${PREFIX}${baseURL}`;
}

/** The baseURL from a listening line; null for any other line. */
export function baseURLFromLine(line: string): string | null {
  return line.startsWith(PREFIX) ? line.slice(PREFIX.length).split(' ')[0] : null;
}
