import type { ModelStore, RetrainingRecord, StoredModel } from '../../ports/learning-store';

/**
 * ModelStore in memory, with the DynamoDB adapter's semantics: the model is replaced only under the version condition
 * (a stale writer gets false, as a ConditionalCheckFailed does), and values are copied in and out.
 */
export class InMemoryModelStore implements ModelStore {
  private model: StoredModel | undefined;
  private readonly records: RetrainingRecord[] = [];

  async getModelVersion(): Promise<string | undefined> {
    return this.model?.version;
  }

  async getModel(): Promise<StoredModel | undefined> {
    return this.model === undefined ? undefined : structuredClone(this.model);
  }

  async putModel(model: StoredModel, expected: string | undefined): Promise<boolean> {
    if (this.model?.version !== expected) return false;
    this.model = structuredClone(model);
    return true;
  }

  async putRetrainingRecord(record: RetrainingRecord): Promise<void> {
    const i = this.records.findIndex((r) => r.at === record.at);
    if (i >= 0) this.records.splice(i, 1);
    this.records.push(structuredClone(record));
  }

  async listRetrainingRecords(limit: number): Promise<RetrainingRecord[]> {
    return [...this.records]
      .sort((a, b) => b.at - a.at)
      .slice(0, Math.max(0, limit))
      .map((r) => structuredClone(r));
  }
}
