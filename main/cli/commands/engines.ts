/** `rnnwb engines`: what this computer can train on, and which python the PyTorch engine uses. */
import type { Command } from 'commander';
import type { EnginesInfo } from '../../api/contract.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { EXIT } from '../errors.ts';
import { printJson, printLine } from '../output.ts';

export function registerEngineCommands(program: Command): void {
  addDbOption(
    program.command('engines')
      .description('the engines this computer offers: the built-in one and PyTorch (python, torch version, CUDA/MPS devices)')
      .option('--python <path>', 'use this python for the PyTorch engine from now on (checked first; $RNNWB_PYTHON still wins)')
      .option('--default-python', 'forget the chosen python (back to python3 on the PATH)')
      .option('--json', 'one JSON object'),
  ).action(async (options: { python?: string; defaultPython?: boolean; json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const info = options.python !== undefined ? await api.setPythonPath(options.python)
        : options.defaultPython ? await api.setPythonPath(null)
        : await api.describeEngines();
      if (options.json) printJson(info);
      else printEngines(info);
      return EXIT.ok;
    });
  });
}

const GIB = 2 ** 30;

function printEngines({ builtin, pytorch }: EnginesInfo): void {
  printLine(`built-in: CPU, kernels ${builtin.kernelPath}, up to ${builtin.threads} threads`);
  const from = { environment: '$RNNWB_PYTHON', setting: 'the stored setting', default: 'the default' }[pytorch.pythonFrom];
  if (!pytorch.found) {
    printLine(`PyTorch: not available with ${pytorch.python} (${from}). ${pytorch.problem}`);
    return;
  }
  const f = pytorch.found;
  printLine(`PyTorch: torch ${f.torchVersion}, Python ${f.pythonVersion} at ${pytorch.python} (${from}), ${f.threads} CPU threads`);
  for (const gpu of f.cuda) printLine(`  cuda:${gpu.index}  ${gpu.name}, ${(gpu.memoryBytes / GIB).toFixed(1)} GiB`);
  if (f.cuda.length === 0) printLine('  no CUDA device');
  printLine(f.mps ? '  mps  Apple GPU' : '  no MPS device');
}
