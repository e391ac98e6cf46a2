/** face-api's two face detectors (src/tinyFaceDetector, src/ssdMobilenetv1) rebuilt as ONNX graphs. */
import type { ModelRecipe } from '../recipe.js';
import { ssdMobilenetv1Recipe } from './ssd-mobilenetv1.js';
import { tinyFaceDetectorRecipe } from './tiny-face-detector.js';

export const FACEAPI_DETECTOR_RECIPES: ModelRecipe[] = [tinyFaceDetectorRecipe, ssdMobilenetv1Recipe];
