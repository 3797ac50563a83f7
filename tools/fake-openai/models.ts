/** The embedding models the fake serves, with OpenAI's native sizes. */
export interface EmbeddingModel {
  name: string;
  nativeDimensions: number;
  /** Only the text-embedding-3 models accept `dimensions` (Matryoshka truncation). */
  acceptsDimensions: boolean;
  /** What OpenAI puts in the answer's `model` field: ada-002 answers as "…-v2". */
  answeredAs: string;
}

const MODELS: readonly EmbeddingModel[] = [
  { name: 'text-embedding-3-small', nativeDimensions: 1536, acceptsDimensions: true, answeredAs: 'text-embedding-3-small' },
  { name: 'text-embedding-3-large', nativeDimensions: 3072, acceptsDimensions: true, answeredAs: 'text-embedding-3-large' },
  { name: 'text-embedding-ada-002', nativeDimensions: 1536, acceptsDimensions: false, answeredAs: 'text-embedding-ada-002-v2' },
];

const BY_NAME = new Map(MODELS.map((model) => [model.name, model]));

export function findModel(name: string): EmbeddingModel | undefined {
  return BY_NAME.get(name);
}
