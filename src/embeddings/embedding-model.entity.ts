import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ProviderName = 'openai' | 'offline';

@Entity('embedding_models')
export class EmbeddingModelEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('text', { unique: true })
  name!: string;

  @Column('text')
  provider!: ProviderName;

  /** The model name sent to the provider (several of our models may share one). */
  @Column('text', { name: 'api_model' })
  apiModel!: string;

  @Column('integer')
  dimensions!: number;

  /** Send `dimensions` to the API (text-embedding-3 models can shorten their vectors). */
  @Column('boolean', { name: 'request_dimensions' })
  requestDimensions!: boolean;

  /** Current list price in USD, kept as a decimal string: money is never a float. */
  @Column('numeric', { name: 'price_per_million_tokens' })
  pricePerMillionTokens!: string;

  @Column('integer', { name: 'max_input_tokens' })
  maxInputTokens!: number;

  @Column('boolean', { name: 'is_active' })
  isActive!: boolean;

  /** Embeddings of this model are kept current even though it does not serve search. */
  @Column('boolean', { name: 'keep_current' })
  keepCurrent!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
