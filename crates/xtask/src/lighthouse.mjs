// Runs Lighthouse (the npm package xtask installs) against the served playground and prints one
// line per run: `lighthouse PRESET RUN performance=S accessibility=S lcp_ms=N tbt_ms=N`.
// Usage: node lighthouse.mjs URL RUNS CHROME_PATH
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

const [url, runsArg, chromePath] = process.argv.slice(2);
const runs = Number(runsArg) || 3;
const presets = [['desktop', desktopConfig], ['mobile', undefined]];
for (const [name, config] of presets) {
  for (let run = 1; run <= runs; run++) {
    const chrome = await chromeLauncher.launch({
      chromePath,
      chromeFlags: ['--headless=new', '--no-sandbox'],
    });
    try {
      const result = await lighthouse(
        url,
        { port: chrome.port, logLevel: 'error', onlyCategories: ['performance', 'accessibility'] },
        config,
      );
      const { categories, audits } = result.lhr;
      const failed = Object.values(audits)
        .filter((a) => a.scoreDisplayMode === 'binary' && a.score === 0)
        .map((a) => a.id);
      console.log(
        `lighthouse ${name} ${run} performance=${categories.performance.score} ` +
          `accessibility=${categories.accessibility.score} ` +
          `lcp_ms=${Math.round(audits['largest-contentful-paint'].numericValue)} ` +
          `tbt_ms=${Math.round(audits['total-blocking-time'].numericValue)} ` +
          `failed=${failed.join(',') || '-'}`,
      );
    } finally {
      await chrome.kill();
    }
  }
}
