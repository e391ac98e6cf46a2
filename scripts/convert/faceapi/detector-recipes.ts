import type { ModelRecipe } from '../recipe.js';

export const FACEAPI_DETECTOR_RECIPES: ModelRecipe[] = [];
