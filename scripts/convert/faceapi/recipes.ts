import type { ModelRecipe } from '../recipe.js';

export const FACEAPI_RECIPES: ModelRecipe[] = [];
