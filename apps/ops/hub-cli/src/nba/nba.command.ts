import { UsageError } from '../cli.errors';
import type { Command } from '../command';
import type { OptionSpecs } from '../cli.args';
import { backtestSubcommand } from './backtest.command';
import { explainSubcommand } from './explain.command';
import { upliftSubcommand } from './uplift.command';
import type { Subcommand } from './subcommand';

/** Every `hub nba` subcommand, in the order the help lists them. */
export const NBA_SUBCOMMANDS: readonly Subcommand[] = [explainSubcommand, backtestSubcommand, upliftSubcommand];

/** Every subcommand's options: the command line is parsed once, then checked against the subcommand named. */
function allOptions(): OptionSpecs {
  const options: OptionSpecs = {};
  for (const sub of NBA_SUBCOMMANDS) {
    for (const [name, spec] of Object.entries(sub.options)) {
      if (options[name] && options[name].type !== spec.type)
        throw new Error(`hub nba: option --${name} is a ${options[name].type} in one subcommand and a ${spec.type} in another`);
      options[name] = spec;
    }
  }
  return options;
}

/**
 * `hub nba <subcommand>`: the next-best-action engine seen from its records — `explain` recomputes
 * one decision, `backtest` replays a window of them with a candidate catalog, `uplift` compares
 * each action's treated decisions with its control group.
 */
export const nbaCommand: Command = {
  name: 'nba',
  summary: 'next best actions: explain a recorded decision, backtest a catalog, measure uplift against control groups',
  usage: NBA_SUBCOMMANDS.map((s) => s.usage).join('\n       '),
  help: NBA_SUBCOMMANDS.map((s) => `hub nba ${s.name}: ${s.summary}\n\n${s.help}`).join('\n\n'),
  options: allOptions(),
  prepare(values, positionals) {
    const [name, ...rest] = positionals;
    if (name === undefined) throw new UsageError(`missing <subcommand>: ${NBA_SUBCOMMANDS.map((s) => s.name).join(' or ')}`);
    const sub = NBA_SUBCOMMANDS.find((s) => s.name === name);
    if (!sub) throw new UsageError(`unknown subcommand ${JSON.stringify(name)}: ${NBA_SUBCOMMANDS.map((s) => s.name).join(' or ')}`);
    const foreign = Object.keys(values).filter((k) => values[k] !== undefined && k !== 'help' && !Object.hasOwn(sub.options, k));
    if (foreign.length > 0) throw new UsageError(`hub nba ${sub.name} takes no ${foreign.map((k) => `--${k}`).join(', ')}`);
    return sub.prepare(values, rest);
  },
};
