import type { EmbeddingModelEntity } from '../../embeddings/embedding-model.entity';
import type { EmbeddingModelsService } from '../../embeddings/embedding-models.service';

/** The model a comparison runs under: the named one (404 if unknown), by default the active one. */
export function chooseModel(models: EmbeddingModelsService, name?: string): Promise<EmbeddingModelEntity> {
  return name === undefined ? models.getActive() : models.getByName(name);
}
