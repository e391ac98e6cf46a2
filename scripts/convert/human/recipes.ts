import type { ModelRecipe } from '../recipe.js';

export const HUMAN_RECIPES: ModelRecipe[] = [];
