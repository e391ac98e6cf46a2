/** face-api models of the embedded set: the two detectors, then the per-face networks. */
import type { ModelRecipe } from '../recipe.js';
import { FACEAPI_DETECTOR_RECIPES } from './detector-recipes.js';
import { FACEAPI_FACE_RECIPES } from './face-recipes.js';

export const FACEAPI_RECIPES: ModelRecipe[] = [...FACEAPI_DETECTOR_RECIPES, ...FACEAPI_FACE_RECIPES];
