import OpenAI, { toFile } from 'openai';
import type { ModelSpec } from './embedding-provider';
import { escapeSpecialTokens } from '../tokenizer';
import { classifyProviderError } from './provider-error';

/** A batch as the provider reports it. */
export interface ProviderBatch {
  id: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  expiresAt: Date | null;
  /** Validation errors of a failed batch, worded by the provider. */
  errors: string[];
  metadata: Record<string, string>;
}

/** One request line of a batch input file: one text, named by `customId`. */
export interface BatchRequest {
  customId: string;
  text: string;
}

/**
 * OpenAI's Files and Batch APIs for embeddings, through the SDK (its retries off, like the
 * live provider's): write the JSONL input (one request per text, texts escaped as live ones
 * are), upload it with purpose `batch`, create the batch on `/v1/embeddings` with a 24 h
 * window, read it, cancel it, download its output and error files. Errors come out classified
 * (`ProviderError`), as the live provider's do.
 */
export class OpenAIBatches {
  private readonly client: OpenAI;

  constructor(options: { apiKey: string; baseURL: string; timeoutMs: number }) {
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: Math.max(options.timeoutMs, 60_000), maxRetries: 0 });
  }

  static inputFile(model: ModelSpec, requests: readonly BatchRequest[]): string {
    const lines = requests.map((request) =>
      JSON.stringify({
        custom_id: request.customId,
        method: 'POST',
        url: '/v1/embeddings',
        body: {
          model: model.apiModel,
          input: [escapeSpecialTokens(request.text)],
          encoding_format: 'base64',
          ...(model.requestDimensions ? { dimensions: model.dimensions } : {}),
        },
      }),
    );
    return `${lines.join('\n')}\n`;
  }

  async submit(content: string, metadata: Record<string, string>): Promise<{ inputFileId: string; batch: ProviderBatch }> {
    return this.call(async () => {
      const file = await this.client.files.create({
        file: await toFile(Buffer.from(content), `${metadata.embedding_batch_id ?? 'batch'}.jsonl`),
        purpose: 'batch',
      });
      const batch = await this.client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h', metadata });
      return { inputFileId: file.id, batch: toProviderBatch(batch) };
    });
  }

  retrieve(id: string): Promise<ProviderBatch> {
    return this.call(async () => toProviderBatch(await this.client.batches.retrieve(id)));
  }

  cancel(id: string): Promise<ProviderBatch> {
    return this.call(async () => toProviderBatch(await this.client.batches.cancel(id)));
  }

  /** The most recent batches (to find one whose creation we did not get to record). */
  recent(limit = 100): Promise<ProviderBatch[]> {
    return this.call(async () => (await this.client.batches.list({ limit })).data.map(toProviderBatch));
  }

  /** A file's lines, streamed: an output file of 50,000 vectors runs to hundreds of megabytes. */
  async *contentLines(fileId: string): AsyncGenerator<string> {
    const response = await this.call(() => this.client.files.content(fileId));
    if (!response.body) return;
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) yield line;
    }
    rest += decoder.decode();
    if (rest.trim()) yield rest;
  }

  private async call<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw classifyProviderError(error);
    }
  }
}

function toProviderBatch(batch: OpenAI.Batches.Batch): ProviderBatch {
  return {
    id: batch.id,
    status: batch.status,
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    counts: batch.request_counts ?? { total: 0, completed: 0, failed: 0 },
    expiresAt: batch.expires_at ? new Date(batch.expires_at * 1000) : null,
    errors: (batch.errors?.data ?? []).map((error) => `${error.line ? `line ${error.line}: ` : ''}${error.message ?? error.code ?? 'invalid'}`),
    metadata: (batch.metadata as Record<string, string> | null) ?? {},
  };
}
