export default async function globalTeardown(): Promise<void> {
  // Infrastructure is stopped by scripts/test.sh; nothing is held across test files.
}
