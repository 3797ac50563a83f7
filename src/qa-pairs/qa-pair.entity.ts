import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('qa_pairs')
export class QaPairEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  question!: string;

  @Column('text')
  answer!: string;

  @Column('text')
  category!: string;

  /** sha256 of the embedded text (see common/qa-content.ts). */
  @Column('text', { name: 'content_hash' })
  contentHash!: string;

  /** Bumped on every change (question, answer or category); the pair's ETag. */
  @Column('integer')
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
