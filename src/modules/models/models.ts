export const DEFAULT_MODEL = 'claude-sonnet-4-5-20250929';
export const FALLBACK_CONTEXT_WINDOW = 200_000;

export interface ModelInfo {
  model: string;
  contextWindow: number;
}

export function createModelCatalog(models: readonly ModelInfo[]) {
  const byName = new Map(models.map((info) => [info.model, info.contextWindow]));
  return {
    list: (): ModelInfo[] => [...byName].map(([model, contextWindow]) => ({ model, contextWindow })),
    /** The budget a new session gets when it names none. */
    defaultBudget: (model: string): number => byName.get(model) ?? FALLBACK_CONTEXT_WINDOW,
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
