import type { ModelRecipe } from '../recipe.js';

export const FACEAPI_FACE_RECIPES: ModelRecipe[] = [];
