/**
 * Why a cell's output may change from one run to the next: unseeded random generators, memory
 * left uninitialised, the clock, uuids, hash and id values, the network. Read from the cells'
 * source (comments and string literals left out), in notebook order, so that a seed set in an
 * earlier cell counts. A cell that differs and uses one of these is "likely nondeterministic",
 * with what was found.
 */

interface Use {
  /** What the user reads: "np.random.rand without a seed". */
  readonly what: (match: RegExpExecArray) => string;
  readonly pattern: RegExp;
  /** A seed that makes this use repeatable, when one can (set in this cell or an earlier one). */
  readonly seed?: RegExp;
}

const NUMPY_SEED = /\b(?:np|numpy)\.random\.seed\s*\(\s*[^)\s]/;
const RANDOM_SEED = /(?<![\w.])random\.seed\s*\(\s*[^)\s]/;
const TORCH_SEED = /\btorch\.(?:random\.)?manual_seed\s*\(|\bseed_everything\s*\(|\bset_seed\s*\(/;

const USES: readonly Use[] = [
  {
    pattern:
      /\b(np|numpy)\.random\.(rand|randn|randint|random|random_sample|ranf|sample|choice|shuffle|permutation|normal|uniform|binomial|poisson|beta|gamma|exponential|standard_normal|multivariate_normal|integers|bytes)\s*\(/,
    what: (m) => `${m[1] ?? 'np'}.random.${m[2] ?? ''} without a seed`,
    seed: NUMPY_SEED,
  },
  {
    pattern: /\b(?:np|numpy)\.random\.(default_rng|RandomState|Generator)\s*\(\s*\)/,
    what: (m) => `np.random.${m[1] ?? ''}() without a seed`,
  },
  {
    pattern:
      /(?<![\w.])random\.(random|randint|randrange|choice|choices|shuffle|sample|uniform|gauss|normalvariate|triangular|betavariate|expovariate|getrandbits|randbytes)\s*\(/,
    what: (m) => `random.${m[1] ?? ''} without a seed`,
    seed: RANDOM_SEED,
  },
  {
    pattern: /\btorch\.(rand|randn|randint|randperm|normal|bernoulli|multinomial|rand_like|randn_like)\s*\(/,
    what: (m) => `torch.${m[1] ?? ''} without torch.manual_seed`,
    seed: TORCH_SEED,
  },
  {
    pattern: /\b(?:torch\.)?nn\.(Linear|Conv[123]d|LSTM|GRU|RNN|Embedding|Transformer\w*)\s*\(/,
    what: (m) => `nn.${m[1] ?? ''}'s random initial weights without torch.manual_seed`,
    seed: TORCH_SEED,
  },
  { pattern: /\b(?:np|numpy)\.(empty|empty_like)\s*\(/, what: (m) => `np.${m[1] ?? ''} (memory left uninitialised)` },
  {
    pattern:
      /\b(?:time\.(time|time_ns|perf_counter|perf_counter_ns|monotonic|process_time|ctime|localtime)|datetime\.(now|today|utcnow)|date\.(today))\s*\(/,
    what: (m) => `the clock (${m[1] ? `time.${m[1]}` : m[2] ? `datetime.${m[2]}` : `date.${m[3] ?? 'today'}`})`,
  },
  { pattern: /\buuid\.(uuid1|uuid4)\s*\(/, what: (m) => `uuid.${m[1] ?? ''}` },
  { pattern: /(?<![\w.])hash\s*\(/, what: () => 'hash(), which differs per process for strings (PYTHONHASHSEED)' },
  { pattern: /(?<![\w.])id\s*\(/, what: () => 'id(), an object address' },
  { pattern: /\bos\.(getpid|urandom)\s*\(|\bsecrets\.\w+\s*\(/, what: () => 'process ids or OS randomness' },
  {
    pattern: /\brequests\.(get|post|put|patch|delete|head)\s*\(|\burlopen\s*\(|\bhttpx\.\w+\s*\(|\bsocket\.socket\s*\(/,
    what: () => 'the network',
  },
];

/** The source with comments and string literals blanked (so that a word in a string is no use). */
export function codeOnly(source: string): string {
  return source
    .replace(/"""[\s\S]*?"""|'''[\s\S]*?'''/g, '""')
    .replace(/(?:[rbuf]|rb|br|fr|rf)?'(?:\\.|[^'\\\n])*'|(?:[rbuf]|rb|br|fr|rf)?"(?:\\.|[^"\\\n])*"/gi, '""')
    .replace(/#.*$/gm, '');
}

/**
 * For each cell's source, in notebook order: what may make its output change between runs, or
 * undefined. A seed only helps the cells at or after it.
 */
export function nondeterminismByCell(sources: readonly string[]): (string | undefined)[] {
  const seeded = new Set<RegExp>();
  return sources.map((source) => {
    const code = codeOnly(source);
    for (const use of USES) if (use.seed?.test(code)) seeded.add(use.seed);
    for (const use of USES) {
      if (use.seed && seeded.has(use.seed)) continue;
      const m = use.pattern.exec(code);
      if (m) return use.what(m);
    }
    return undefined;
  });
}
