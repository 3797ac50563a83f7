import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { SearchModule } from '../search/search.module';
import { CapturedQueries } from './captured-queries';
import { EvaluationService } from './evaluation.service';
import { EvaluationsController } from './evaluations.controller';
import { LabelledQueries } from './labelled-queries';
import { LabelledQueriesController } from './labelled-queries.controller';
import { RetrievalEvaluations } from './retrieval-evaluations';
import { RetrievalEvaluator } from './retrieval-evaluator';

/** Retrieval-quality evaluation: labelled and captured queries, and evaluations of a model on them. */
@Module({
  imports: [EmbeddingsModule, SearchModule],
  controllers: [LabelledQueriesController, EvaluationsController],
  providers: [LabelledQueries, CapturedQueries, RetrievalEvaluations, RetrievalEvaluator, EvaluationService],
  exports: [EvaluationService, RetrievalEvaluator, RetrievalEvaluations, CapturedQueries],
})
export class EvaluationModule {}
