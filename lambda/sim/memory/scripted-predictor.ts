import type { Forecast, PredictionInput } from '../../core/domain';
import type { Predictor } from '../../ports/predictor';
import { CallJournal, CallLog } from './call-log';

export type PredictorOperation = keyof Pick<Predictor, 'predict'>;

/**
 * A Predictor whose answer a test provides as a function of each input. Records every batch, so a test
 * can check that a tick predicts all instances in one call.
 */
export class ScriptedPredictor implements Predictor {
  readonly log: CallLog<PredictorOperation>;

  constructor(
    private readonly answer: (input: PredictionInput) => Forecast,
    readonly name = 'scripted',
    opts: { readonly journal?: CallJournal } = {},
  ) {
    this.log = new CallLog('predictor', new Set(), opts.journal);
  }

  async predict(inputs: readonly PredictionInput[]): Promise<Forecast[]> {
    this.log.record('predict', [inputs]);
    return inputs.map((i) => this.answer(i));
  }
}

ScriptedPredictor satisfies new (answer: (input: PredictionInput) => Forecast) => Predictor;
