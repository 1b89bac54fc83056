// Re-creates the bundled data in this folder from a checkout of the shared data folder
// (`node data/bundle.mjs ../shared/data`). Only permissively licensed data is copied (see SOURCES.md):
// NAB (MIT) and Azure (CC-BY-4.0) series unchanged, and the us-east-1 / Linux slice of the Spot
// Instance Advisor snapshot (Apache-2.0 repository, AWS public site data). Bitbrains, Alibaba and
// the spot price sample are never copied: the simulator reads them from `--data DIR` instead.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = process.argv[2];
if (!source) {
  console.error('usage: node data/bundle.mjs <shared data dir>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));

// The four NAB EC2 CPU series with a load (24ae8d and c6585a sit flat below 0.2 % for two weeks).
export const NAB_SERIES = ['ec2_cpu_utilization_53ea38', 'ec2_cpu_utilization_5f5533', 'ec2_cpu_utilization_ac20cd', 'ec2_cpu_utilization_fe7f93'];
// Twelve VMs spanning the sample's range of mean CPU (3 % … 43 %), so groups are not all idle.
export const AZURE_VMS = [
  '1331037', '1663289', '799526', '618849', '633346', '715586',
  '1555181', '586116', '605145', '1475279', '807274', '1221771',
];

const copySeries = (dataset, names, toFile) => {
  const from = join(source, dataset);
  const to = join(here, dataset);
  mkdirSync(join(to, 'series'), { recursive: true });
  const files = new Set(names.map(toFile));
  for (const file of files) copyFileSync(join(from, file), join(to, file));
  copyFileSync(join(from, 'SOURCE.md'), join(to, 'SOURCE.md'));
  // Keep the index rows of the copied series only, header first.
  const [header, ...rows] = readFileSync(join(from, 'series_index.csv'), 'utf8').trim().split('\n');
  const kept = rows.filter((r) => files.has(r.split(',')[0]));
  writeFileSync(join(to, 'series_index.csv'), [header, ...kept].join('\n') + '\n');
};

copySeries('nab-aws-cloudwatch', NAB_SERIES, (n) => `series/${n}.csv`);
copySeries('azure-public-dataset-v1-vm-cpu-sample', AZURE_VMS, (n) => `series/vm_${n}.csv`);

const REGION = 'us-east-1';
const OS = 'Linux';
const advisor = JSON.parse(readFileSync(join(source, 'aws-spot-advisor-snapshots', 'spot-advisor-data_2025-06-28.json'), 'utf8'));
const slice = advisor.spot_advisor[REGION][OS];
const types = Object.fromEntries(Object.keys(slice).sort().filter((t) => advisor.instance_types[t]).map((t) => [t, advisor.instance_types[t]]));
const sortedSlice = Object.fromEntries(Object.keys(slice).sort().map((t) => [t, slice[t]]));
mkdirSync(join(here, 'aws-spot-advisor-snapshots'), { recursive: true });
writeFileSync(
  join(here, 'aws-spot-advisor-snapshots', `spot-advisor-data_2025-06-28_${REGION}_${OS.toLowerCase()}.json`),
  JSON.stringify({ ranges: advisor.ranges, global_rate: advisor.global_rate, instance_types: types, spot_advisor: { [REGION]: { [OS]: sortedSlice } } }, null, 0) + '\n',
);
console.log(`bundled ${NAB_SERIES.length} NAB series, ${AZURE_VMS.length} Azure VMs, ${Object.keys(sortedSlice).length} Spot Advisor entries`);
