/**
 * The one place that loads TensorFlow.js. Gradient definitions are not in
 * tfjs-core's Node bundle; the umbrella `@tensorflow/tfjs` registers them (and the
 * cpu backend) as a side effect, on the same tfjs-core instance we import.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

export { tf };
