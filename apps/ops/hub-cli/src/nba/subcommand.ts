import type { OptionSpecs, ParsedValues } from '../cli.args';
import type { Execute } from '../command';

/** One subcommand of `hub nba`: a command of its own, listed under `nba`. */
export interface Subcommand {
  name: string;
  summary: string;
  usage: string;
  help: string;
  options: OptionSpecs;
  prepare(values: ParsedValues, positionals: string[]): Execute;
}
