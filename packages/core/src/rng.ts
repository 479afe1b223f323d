/**
 * A small seeded random number generator (xoshiro128**) whose whole state is four
 * uint32 words, so that it can be saved in a checkpoint and restored exactly.
 * TF.js random ops take a numeric seed per call; `tfSeed()` draws one from here so
 * that initialisation, shuffling and augmentation all follow the run's seed.
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number | Uint32Array = 0) {
    if (seed instanceof Uint32Array) {
      if (seed.length !== 4) throw new Error(`Rng state must have 4 words, got ${seed.length}`);
      this.s = Uint32Array.from(seed);
    } else {
      // splitmix32 expands one number into a well-mixed state (never all zero).
      this.s = new Uint32Array(4);
      let x = (Math.floor(seed) >>> 0) ^ 0x9e3779b9;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.s[i] = (z ^ (z >>> 16)) >>> 0;
      }
      if (this.s.every((w) => w === 0)) this.s[0] = 1;
    }
  }

  /** Next uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A seed for one TF.js random op (tf.randomNormal(..., seed)). */
  tfSeed(): number {
    return this.nextUint32();
  }

  /** A permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** An independent generator derived from this one (advances this one). */
  fork(): Rng {
    return new Rng(Uint32Array.of(this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32() | 1));
  }

  /** A generator in the same state that draws independently of this one (this one does not advance). */
  clone(): Rng {
    return new Rng(Uint32Array.from(this.s));
  }

  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: ArrayLike<number>): void {
    if (state.length !== 4) throw new Error(`Rng state must have 4 words, got ${state.length}`);
    this.s = Uint32Array.from(state);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
