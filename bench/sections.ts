/** The benchmark sections `npm run bench` runs, in order (each in its own process: bench/section.ts). */
export const SECTIONS = ['notice', 'storm', 'profiler', 'bundle', 'model', 'simulation'] as const;
export type SectionName = (typeof SECTIONS)[number];
