import type { ModelRecipe } from '../recipe.js';

export const NSFWJS_RECIPES: ModelRecipe[] = [];
